import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freshDatabaseUrl, startServer } from '../../helpers/server-process';

/** `npm start` says at start where MLflow's web UI comes from, or why /mlflow/ is off (issue 14 §2). */
describe('the start log names the MLflow UI folder', () => {
  const ui = fs.mkdtempSync(path.join(os.tmpdir(), 'semreg-mlflow-ui-'));
  fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>MLflow</title>');
  afterAll(() => fs.rmSync(ui, { recursive: true, force: true }));

  it.each([
    [ui, `serving MLflow's web UI from ${ui} at /mlflow/`],
    [
      path.join(ui, 'missing'),
      `MLFLOW_UI_DIR=${path.join(ui, 'missing')} has no index.html: /mlflow/ is off`,
    ],
  ])('MLFLOW_UI_DIR=%s', async (dir, line) => {
    const server = await startServer({
      databaseUrl: await freshDatabaseUrl(),
      env: { MLFLOW_UI_DIR: dir, LOG_LEVEL: 'info' },
    });
    try {
      for (let i = 0; i < 50 && !server.output().includes(line); i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.output()).toContain(line);
    } finally {
      await server.stop();
    }
  });
});
