import { invalidParameter } from '../errors';

/**
 * MLflow's search filter grammar (mlflow-compat.md §6.2), shared by every search endpoint:
 *
 *   filter     := clause (AND clause)*
 *   clause     := identifier comparator value
 *   identifier := [entity '.'] key        key may be quoted with `backticks` or "double quotes"
 *   comparator := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN | IS NULL | IS NOT NULL
 *   value      := 'string' | "string" | number | '(' string (',' string)* ')'
 *
 * There is no OR, no parentheses and no NOT outside NOT IN. Each API decides which entities, keys and
 * comparators it accepts and turns the clauses into SQL.
 */
export type Comparator =
  '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export interface Identifier {
  /** The part before the first dot (`tags`, `metrics`, `attributes`…), lower-cased; undefined for a bare key. */
  entity: string | undefined;
  key: string;
}

export interface Clause extends Identifier {
  comparator: Comparator;
  /** string or number for binary comparators, string[] for IN / NOT IN, null for IS [NOT] NULL */
  value: string | number | string[] | null;
}

const MAX_FILTER_LENGTH = 100_000;
/**
 * Each tag, param or metric clause is its own EXISTS subquery, and PostgreSQL's time grows faster than the
 * clauses: 100 took 0.6 s, 300 took 48 s, holding pool connections the whole time (ten such requests made
 * every other request wait past the pool's timeout). A person's filter has a handful; an IN list is one.
 */
const MAX_FILTER_CLAUSES = 50;

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  done(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  fail(what: string): never {
    throw invalidParameter(`Invalid filter '${this.text.slice(0, 200)}': ${what} at position ${this.pos}.`);
  }

  /** Matches a keyword case-insensitively, followed by a non-word character. */
  keyword(word: string): boolean {
    this.skipSpace();
    const candidate = this.text.slice(this.pos, this.pos + word.length);
    const after = this.text[this.pos + word.length] ?? ' ';
    if (candidate.toUpperCase() === word && !/[\w.]/.test(after)) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  quoted(): string {
    const quote = this.peek();
    this.pos++;
    let value = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos++];
      if (ch === '\\' && this.pos < this.text.length) {
        value += this.text[this.pos++];
      } else if (ch === quote) {
        // SQL style doubled quote inside a string: 'it''s'
        if (this.peek() === quote && quote === "'") {
          value += quote;
          this.pos++;
        } else {
          return value;
        }
      } else {
        value += ch;
      }
    }
    return this.fail(`unterminated ${quote} quote`);
  }

  /** A bare word: letters, digits, `_`, `-`, `.`, `/`, `:` (keys such as `mlflow.source.name`). */
  bareWord(): string {
    const start = this.pos;
    while (this.pos < this.text.length && /[\w.\-/:]/.test(this.text[this.pos])) this.pos++;
    if (this.pos === start) this.fail('expected an identifier');
    return this.text.slice(start, this.pos);
  }
}

function parseIdentifier(s: Scanner): Identifier {
  s.skipSpace();
  const first = s.peek();
  if (first === '`' || first === '"') return { entity: undefined, key: s.quoted() };
  const start = s.pos;
  while (s.pos < s.text.length && /[\w-]/.test(s.text[s.pos])) s.pos++;
  const head = s.text.slice(start, s.pos);
  if (!head) s.fail('expected an identifier');
  if (s.peek() !== '.') return { entity: undefined, key: head };
  s.pos++; // the dot after the entity
  const next = s.peek();
  const key = next === '`' || next === '"' ? s.quoted() : s.bareWord();
  if (!key) s.fail('expected a key after the entity');
  return { entity: head.toLowerCase(), key };
}

function parseComparator(s: Scanner): Comparator {
  s.skipSpace();
  // MLflow's comparator sets have no SQL '<>': the reference server refuses it, so clients never rely on it.
  if (s.text.startsWith('<>', s.pos)) s.fail("'<>' is not a valid comparator (use '!=')");
  for (const symbol of ['!=', '<=', '>=', '=', '<', '>']) {
    if (s.text.startsWith(symbol, s.pos)) {
      s.pos += symbol.length;
      return symbol as Comparator;
    }
  }
  if (s.keyword('LIKE')) return 'LIKE';
  if (s.keyword('ILIKE')) return 'ILIKE';
  if (s.keyword('IN')) return 'IN';
  if (s.keyword('NOT')) {
    if (s.keyword('IN')) return 'NOT IN';
    s.fail('expected IN after NOT');
  }
  if (s.keyword('IS')) {
    if (s.keyword('NULL')) return 'IS NULL';
    if (s.keyword('NOT') && s.keyword('NULL')) return 'IS NOT NULL';
    s.fail('expected NULL or NOT NULL after IS');
  }
  return s.fail('expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL)');
}

function parseList(s: Scanner): string[] {
  s.skipSpace();
  if (s.peek() !== '(') s.fail("expected '(' to start the IN list");
  s.pos++;
  const items: string[] = [];
  for (;;) {
    s.skipSpace();
    const quote = s.peek();
    if (quote !== "'" && quote !== '"') s.fail('IN lists hold quoted strings');
    items.push(s.quoted());
    s.skipSpace();
    if (s.peek() === ',') {
      s.pos++;
      continue;
    }
    if (s.peek() === ')') {
      s.pos++;
      return items;
    }
    s.fail("expected ',' or ')' in the IN list");
  }
}

function parseValue(s: Scanner): string | number {
  s.skipSpace();
  const quote = s.peek();
  if (quote === "'" || quote === '"') return s.quoted();
  const match = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?/.exec(s.text.slice(s.pos));
  if (!match) s.fail('expected a quoted string or a number');
  s.pos += match[0].length;
  return Number(match[0]);
}

/** PostgreSQL refuses a LIKE pattern whose last character is its escape (`\`) not itself escaped. */
function endsInEscape(value: Clause['value']): boolean {
  if (typeof value !== 'string') return false;
  const trailing = /\\*$/.exec(value)![0].length;
  return trailing % 2 === 1;
}

/** Parses a filter string into clauses (AND-joined). An empty or absent filter is no clause. */
export function parseFilter(filter: string | undefined): Clause[] {
  if (filter === undefined || filter.trim() === '') return [];
  if (filter.length > MAX_FILTER_LENGTH)
    throw invalidParameter(`Filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  const s = new Scanner(filter);
  const clauses: Clause[] = [];
  for (;;) {
    const identifier = parseIdentifier(s);
    const comparator = parseComparator(s);
    let value: Clause['value'] = null;
    if (comparator === 'IN' || comparator === 'NOT IN') value = parseList(s);
    else if (comparator !== 'IS NULL' && comparator !== 'IS NOT NULL') value = parseValue(s);
    if ((comparator === 'LIKE' || comparator === 'ILIKE') && endsInEscape(value))
      throw invalidParameter('A LIKE or ILIKE pattern must not end with an unescaped backslash.');
    clauses.push({ ...identifier, comparator, value });
    if (clauses.length > MAX_FILTER_CLAUSES)
      throw invalidParameter(`Filter has more than ${MAX_FILTER_CLAUSES} clauses joined by AND.`);
    if (s.done()) return clauses;
    if (!s.keyword('AND')) s.fail('expected AND between clauses (MLflow filters support AND only)');
  }
}

export interface OrderBy extends Identifier {
  ascending: boolean;
}

/** Parses one `order_by` entry: `<identifier> [ASC|DESC]`. */
export function parseOrderBy(entry: string): OrderBy {
  const s = new Scanner(entry);
  const identifier = parseIdentifier(s);
  let ascending = true;
  if (s.keyword('DESC')) ascending = false;
  else s.keyword('ASC');
  if (!s.done()) {
    throw invalidParameter(`Invalid order_by clause '${entry.slice(0, 200)}': expected '<key> [ASC|DESC]'.`);
  }
  return { ...identifier, ascending };
}

/** Turns an `order_by` query value (absent, one string or repeated) into a list. */
export function orderByList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
