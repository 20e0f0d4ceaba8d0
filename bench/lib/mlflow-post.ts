/** One MLflow REST call (`POST /api/2.0/mlflow/<endpoint>`) as the benchmarks make them; a non-200 throws. */
export async function mlflowPost(base: string, endpoint: string, body: unknown): Promise<any> {
  const res = await fetch(`${base}/api/2.0/mlflow/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${endpoint}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
