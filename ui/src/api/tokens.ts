import { request, segment, type OkBody } from './client';

export function listTokens() {
  return request<OkBody<'listTokens'>>('GET', '/api/tokens');
}

export function createToken(body: {
  scope: 'read' | 'write' | 'admin';
  models?: string[];
  expires_at?: number;
  description?: string;
}) {
  return request<OkBody<'createToken'>>('POST', '/api/tokens', { body });
}

export function revokeToken(id: string) {
  return request('DELETE', `/api/tokens/${segment(id)}`);
}
