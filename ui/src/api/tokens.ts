import { api, ok } from './client';

export function listTokens() {
  return ok(api.GET('/api/tokens'));
}

export function createToken(body: {
  scope: 'read' | 'write' | 'admin';
  models?: string[];
  expires_at?: number;
  description?: string;
}) {
  return ok(api.POST('/api/tokens', { body }));
}

export function revokeToken(id: string) {
  return ok(api.DELETE('/api/tokens/{token_id}', { params: { path: { token_id: id } } }));
}
