import { assertJsonShape } from './json-shape';

describe('assertJsonShape', () => {
  const refusal = (message: RegExp) =>
    expect.objectContaining({
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(message),
    });

  it('accepts 32 levels and refuses 33, without recursing', () => {
    const nest = (levels: number) => {
      let value: unknown = 'leaf';
      for (let i = 0; i < levels; i += 1) value = { a: value };
      return value;
    };
    expect(() => assertJsonShape(nest(32))).not.toThrow();
    expect(() => assertJsonShape(nest(33))).toThrow(refusal(/nested deeper than 32 levels/));
    expect(() => assertJsonShape(nest(200_000))).toThrow(refusal(/nested deeper/));
  });

  it('refuses an unpaired surrogate in a value, an array item or a key, and keeps paired ones', () => {
    for (const body of [{ name: '\ud800' }, { tags: [{ key: 'k', value: 'x\udfff' }] }, { ['\udbff']: 1 }])
      expect(() => assertJsonShape(body)).toThrow(refusal(/unpaired UTF-16 surrogate/));
    expect(() => assertJsonShape({ name: 'model-😀', tags: [{ key: 'ключ', value: '値' }] })).not.toThrow();
  });
});
