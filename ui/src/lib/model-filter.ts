/**
 * The models page's search box takes either the API's filter grammar as it is (`tags.team = 'fraud'`,
 * `name LIKE 'churn-%'`, docs/registry.md) or plain words, which become a case-insensitive name match.
 */
const GRAMMAR = /(=|!=|\bI?LIKE\b|\bIS\s+(NOT\s+)?NULL\b|\bIN\s*\()/i;

export function modelFilter(input: string): string | undefined {
  const text = input.trim();
  if (!text) return undefined;
  if (GRAMMAR.test(text)) return text;
  return `name ILIKE '%${text.replace(/'/g, "''")}%'`;
}

export const MODEL_SORTS: Record<string, { label: string; orderBy: string[] }> = {
  name: { label: 'Name', orderBy: ['name ASC'] },
  updated: { label: 'Last update', orderBy: ['last_updated_timestamp DESC'] },
};
