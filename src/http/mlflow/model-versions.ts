import type { Route } from '../route';

export const modelVersionRoutes: Route[] = [];
