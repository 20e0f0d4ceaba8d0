import type { Scope } from './scope';

/** Who is calling: the token that authenticated the request and what it may do. */
export interface Principal {
  readonly tokenId: string;
  readonly scope: Scope;
  /** Model-name patterns; empty = every model. */
  readonly models: readonly string[];
}
