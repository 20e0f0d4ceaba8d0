import type { Route } from '../route';

export const registeredModelRoutes: Route[] = [];
