import { parseFilter, parseOrderBy } from './filter';

describe('parseFilter', () => {
  it('parses the clause the MLflow 3 client adds to every registered-model search', () => {
    expect(parseFilter("name = 'churn' AND tag.`mlflow.prompt.is_prompt` != 'true'")).toEqual([
      { entity: undefined, key: 'name', comparator: '=', value: 'churn' },
      { entity: 'tag', key: 'mlflow.prompt.is_prompt', comparator: '!=', value: 'true' },
    ]);
  });

  it('parses IN lists, numbers, IS NULL and dotted keys', () => {
    expect(
      parseFilter(`run_id IN ('a', "b") and metrics.rmse <= -1.5e2 and tags.mlflow.source.name IS NOT NULL`),
    ).toEqual([
      { entity: undefined, key: 'run_id', comparator: 'IN', value: ['a', 'b'] },
      { entity: 'metrics', key: 'rmse', comparator: '<=', value: -150 },
      { entity: 'tags', key: 'mlflow.source.name', comparator: 'IS NOT NULL', value: null },
    ]);
  });

  it('reads comparator keywords in any case and NOT IN', () => {
    expect(parseFilter("params.a like 'x%' AND attributes.status not in ('FAILED')")).toEqual([
      { entity: 'params', key: 'a', comparator: 'LIKE', value: 'x%' },
      { entity: 'attributes', key: 'status', comparator: 'NOT IN', value: ['FAILED'] },
    ]);
  });

  it('accepts a LIKE pattern ending in an escaped backslash', () => {
    expect(parseFilter("name LIKE '%\\\\\\\\'")).toEqual([
      { entity: undefined, key: 'name', comparator: 'LIKE', value: '%\\\\' },
    ]);
  });

  it.each([
    ["name = 'a' OR name = 'b'"],
    ["name = 'unterminated"],
    ['name'],
    ["name == 'x'"],
    ["(name = 'x')"],
    ["name IN 'x'"],
    ['metrics.m <> 1'],
    // One backslash left once unquoted: PostgreSQL refuses a pattern that ends in its escape character.
    ["name LIKE 'a\\\\'"],
    ["tags.t ILIKE '\\\\\\\\\\\\'"],
  ])('rejects %s with INVALID_PARAMETER_VALUE', (filter) => {
    expect(() => parseFilter(filter)).toThrow(
      expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }),
    );
  });
});

describe('parseOrderBy', () => {
  it('reads the direction, defaulting to ascending', () => {
    expect(parseOrderBy('name')).toEqual({ entity: undefined, key: 'name', ascending: true });
    expect(parseOrderBy('metrics.`my rmse` DESC')).toEqual({
      entity: 'metrics',
      key: 'my rmse',
      ascending: false,
    });
  });

  it('rejects trailing garbage', () => {
    expect(() => parseOrderBy('name DESC x')).toThrow(
      expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }),
    );
  });
});
