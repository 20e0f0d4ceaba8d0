import { adminOnly } from '../access';
import { defineRoute, Route } from '../route';
import {
  createWebhook,
  deleteWebhook,
  findWebhook,
  listWebhooks,
  testWebhook,
  updateWebhook,
  webhookToJson,
} from '../../lifecycle/webhooks';

/** MLflow 3's webhook API (mlflow/protos/webhooks.proto; mlflow-compat.md §3.9). */
export const webhookRoutes: Route[] = [
  defineRoute('POST', '/webhooks', 'createWebhook', adminOnly, async ({ input, app }) => ({
    webhook: await createWebhook(app.db, app.config, input),
  })),
  defineRoute('GET', '/webhooks', 'listWebhooks', adminOnly, async ({ input, app }) =>
    listWebhooks(app.db, input),
  ),
  defineRoute('GET', '/webhooks/:webhook_id', 'getWebhook', adminOnly, async ({ input, app }) => ({
    webhook: webhookToJson(await findWebhook(app.db, input.webhook_id)),
  })),
  defineRoute('PATCH', '/webhooks/:webhook_id', 'updateWebhook', adminOnly, async ({ input, app }) => ({
    webhook: await updateWebhook(app.db, app.config, input.webhook_id, input),
  })),
  defineRoute('DELETE', '/webhooks/:webhook_id', 'deleteWebhook', adminOnly, async ({ input, app }) => {
    await deleteWebhook(app.db, input.webhook_id);
    return {};
  }),
  defineRoute('POST', '/webhooks/:webhook_id/test', 'testWebhook', adminOnly, async ({ input, app }) => ({
    result: await testWebhook(app.db, app.config, input.webhook_id, input.event),
  })),
];
