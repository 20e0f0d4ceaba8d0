import { adminOnly } from './access';
import { createToken, listTokens, revokeToken } from '../auth/tokens';
import { invalidParameter } from '../errors';
import { decodePageToken, paginate } from '../search/page-token';
import { defineRoute, Route } from './route';

/**
 * Token administration (semreg-api.md "Tokens"), admin scope only. semreg's own API, so the create answers
 * 201 as documented there (the MLflow client never calls it).
 */
const DEFAULT_MAX_RESULTS = 100;

/** `expires_at` as epoch milliseconds or an ISO 8601 date-time with a zone (semreg-api.md conventions). */
function parseExpiry(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  const time = Date.parse(value);
  if (Number.isNaN(time))
    throw invalidParameter(`Invalid expires_at '${value.slice(0, 60)}': an ISO 8601 date-time.`);
  return time;
}

export const tokenRoutes: Route[] = [
  defineRoute('POST', '/tokens', 'createToken', adminOnly, async ({ input, app, res }) => {
    const { secret, token } = await createToken(app.db, {
      scope: input.scope,
      models: input.models,
      expiresAt: parseExpiry(input.expires_at),
      description: input.description,
    });
    res.status(201).json({ token: secret, ...token });
    return {} as never;
  }),
  defineRoute('GET', '/tokens', 'listTokens', adminOnly, async ({ input, app }) => {
    const maxResults = input.max_results ?? DEFAULT_MAX_RESULTS;
    const offset = decodePageToken(input.page_token, 'tokens');
    const page = paginate(await listTokens(app.db, offset, maxResults + 1), offset, maxResults, 'tokens');
    return { tokens: page.items, ...(page.nextPageToken && { next_page_token: page.nextPageToken }) };
  }),
  defineRoute('DELETE', '/tokens/:token_id', 'revokeToken', adminOnly, async ({ input, app }) => {
    await revokeToken(app.db, input.token_id);
    return {};
  }),
];
