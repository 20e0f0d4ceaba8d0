import { createTestApp, TestApp } from '../../helpers/test-app';
import { graphql } from './helpers';

/**
 * The reference server's guards on GraphQL documents (MLflow 3.17 `graphql_no_batching.py`) with its
 * messages, and the answers to malformed requests: document mistakes are `{data: null, errors: [...]}` with
 * 200 as on the reference, transport mistakes are MLflow JSON errors with 400, never a 5xx.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const TEST_FIELD = 'test(inputString: "x") { output }';
const repeat = (n: number, make: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => make(i)).join(' ');

function nested(depth: number): string {
  // __schema { types { fields { type { ofType … { name } } } } }: `depth` selection sets in all.
  let inner = 'name';
  for (let level = 0; level < depth - 5; level += 1) inner = `ofType { ${inner} }`;
  return `query { __schema { types { fields { type { ${inner} } } } } }`;
}

describe('POST /graphql limits', () => {
  it('allows 10 root fields and refuses 11, naming the variable that raises the limit', async () => {
    const ten = await graphql(t, `query { ${repeat(10, () => TEST_FIELD)} }`);
    expect(ten.body.errors).toBeNull();
    const eleven = await graphql(t, `query { ${repeat(11, () => TEST_FIELD)} }`);
    expect(eleven.status).toBe(200);
    expect(eleven.body).toEqual({
      data: null,
      errors: [
        'GraphQL queries should have at most 10 root fields, got 11 root fields. To increase the limit, ' +
          'set the MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS environment variable.',
      ],
    });
  });

  it('refuses 11 aliases in one selection set, also when they hide in sibling fragments', async () => {
    const spread = await graphql(
      t,
      `query { test(inputString: "x") { ...A ...B } }
       fragment A on Test { ${repeat(6, (i) => `a${i}: output`)} }
       fragment B on Test { ${repeat(5, (i) => `b${i}: output`)} }`,
    );
    expect(spread.body).toEqual({
      data: null,
      errors: [
        'GraphQL queries should have at most 10 aliases, got 11 aliases. To increase the limit, ' +
          'set the MLFLOW_SERVER_GRAPHQL_MAX_ALIASES environment variable.',
      ],
    });
    const ten = await graphql(
      t,
      `query { test(inputString: "x") { ${repeat(10, (i) => `a${i}: output`)} } }`,
    );
    expect(ten.body.errors).toBeNull();
    expect(ten.body.data.test.a9).toBe('x');
  });

  it('refuses documents deeper than 10 levels', async () => {
    expect((await graphql(t, nested(10))).body.errors).toBeNull();
    expect((await graphql(t, nested(11))).body).toEqual({
      data: null,
      errors: ['Query exceeds maximum depth of 10'],
    });
  });

  it('refuses a document nested thousands of levels deep (it overflowed the parser) with 200', async () => {
    const res = await graphql(t, `{ test { output ${'{ x '.repeat(3000)}${'} '.repeat(3000)}} }`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: null, errors: ['The document is nested too deeply.'] });
  });

  it('refuses more than 1,000 selections', async () => {
    // 9 root fields of 120 fields each (one fragment spread into each): 1,089 selections, no alias.
    const fragment = `fragment F on Test { ${repeat(120, () => 'output')} }`;
    const res = await graphql(
      t,
      `query { ${repeat(9, () => `test(inputString: "x") { ...F }`)} } ${fragment}`,
    );
    expect(res.body).toEqual({ data: null, errors: ['Query exceeds maximum total selections of 1000'] });
  });

  it('takes its limits from MLflow’s variables', async () => {
    const strict = await createTestApp({
      MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS: '2',
      MLFLOW_SERVER_GRAPHQL_MAX_ALIASES: '1',
    });
    try {
      const three = await graphql(strict, `query { ${repeat(3, () => TEST_FIELD)} }`);
      expect(three.body.errors[0]).toContain('at most 2 root fields, got 3');
      const two = await graphql(
        strict,
        `
          query {
            test(inputString: "x") {
              a: output
              b: output
            }
          }
        `,
      );
      expect(two.body.errors[0]).toContain('at most 1 aliases, got 2');
    } finally {
      await strict.close();
    }
  });
});

describe('POST /graphql malformed requests', () => {
  it('refuses a batch (a JSON array) with 400', async () => {
    const res = await t.http
      .post('/graphql')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify([{ query: `query { ${TEST_FIELD} }` }]));
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('BAD_REQUEST');
  });

  it('refuses a body without a query, or with variables that are not an object', async () => {
    const none = await t.http.post('/graphql').send({});
    expect(none.status).toBe(400);
    expect(none.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining("Missing value for required parameter 'query'."),
    });
    const badVariables = await t.http
      .post('/graphql')
      .send({ query: `query { ${TEST_FIELD} }`, variables: [1] });
    expect(badVariables.status).toBe(400);
    expect(badVariables.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses a body not sent as application/json (the CSRF rule of every JSON endpoint)', async () => {
    const res = await t.http
      .post('/graphql')
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify({ query: `query { ${TEST_FIELD} }` }));
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses a document over 1 MiB with 413', async () => {
    const res = await t.http
      .post('/graphql')
      .send({ query: `query { ${TEST_FIELD} } #${'x'.repeat(1024 * 1024)}` });
    expect(res.status).toBe(413);
  });

  it('answers syntax, validation and variable mistakes as GraphQL errors with 200', async () => {
    expect((await graphql(t, 'query {')).body).toEqual({
      data: null,
      errors: [expect.stringMatching(/^Syntax Error/)],
    });
    expect((await graphql(t, 'query { nope }')).body).toEqual({
      data: null,
      errors: ['Cannot query field "nope" on type "Query".'],
    });
    const variable = await graphql(
      t,
      'query Q($d: MlflowGetRunInput!) { mlflowGetRun(input: $d) { run { info { runId } } } }',
      { d: { runId: 5 } },
    );
    expect(variable.status).toBe(200);
    expect(variable.body.data).toBeNull();
    expect(variable.body.errors).toHaveLength(1);
    const twoOperations = await graphql(t, `query A { ${TEST_FIELD} } query B { ${TEST_FIELD} }`);
    expect(twoOperations.body.errors).toEqual([
      'Must provide operation name if query contains multiple operations.',
    ]);
  });

  it('runs the operation named by operationName', async () => {
    const res = await t.http.post('/graphql').send({
      query: 'query A { test(inputString: "a") { output } } query B { test(inputString: "b") { output } }',
      operationName: 'B',
    });
    expect(res.body).toEqual({ data: { test: { output: 'b' } }, errors: null });
  });

  it('declares the @component directive the UI annotates its operations with', async () => {
    const res = await graphql(
      t,
      `query Q @component(name: "MLflow.ExperimentRunTracking") { ${TEST_FIELD} }`,
    );
    expect(res.body).toEqual({ data: { test: { output: 'x' } }, errors: null });
  });
});
