/** Only http(s) links are rendered as links: a tag value is user input and could be `javascript:`. */
export function safeHttpUrl(url: string | undefined): string | undefined {
  return url && /^https?:\/\//i.test(url) ? url : undefined;
}
