import type { Queryable } from '../db/knex';

/**
 * What a backup needs to know about semreg's schema, read from PostgreSQL's catalog rather than listed by
 * hand, so a table a later migration adds is backed up without anyone remembering to add it here.
 */
export interface TableShape {
  readonly name: string;
  /**
   * The columns COPY reads and writes, in table order. Generated columns (`semver`, `artifact_uri`, …) are
   * left out: PostgreSQL computes them again on restore and refuses values for them.
   */
  readonly columns: readonly string[];
}

export interface OwnedSequence {
  readonly table: string;
  readonly column: string;
  readonly sequence: string;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Orders tables so each comes after every table its foreign keys reference: COPY FROM in this order never
 * meets a missing parent row, so the constraints stay checked during restore instead of being switched off.
 */
function parentsFirst(names: string[], references: { child: string; parent: string }[]): string[] {
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (placed.has(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const ref of references) if (ref.child === name && ref.parent !== name) visit(ref.parent);
    visiting.delete(name);
    placed.add(name);
    ordered.push(name);
  };
  for (const name of [...names].sort()) visit(name);
  return ordered;
}

/** Every ordinary table of the current schema (semreg's and knex's migration tables), parents first. */
export async function listTables(db: Queryable): Promise<TableShape[]> {
  const columns = (
    await db.raw(`
      SELECT c.relname AS table, a.attname AS column
      FROM pg_class c
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
        AND a.attgenerated = ''
      ORDER BY c.relname, a.attnum`)
  ).rows as { table: string; column: string }[];
  const references = (
    await db.raw(`
      SELECT child.relname AS child, parent.relname AS parent
      FROM pg_constraint f
      JOIN pg_class child ON child.oid = f.conrelid
      JOIN pg_class parent ON parent.oid = f.confrelid
      WHERE f.contype = 'f' AND child.relnamespace = current_schema()::regnamespace`)
  ).rows as { child: string; parent: string }[];
  const byTable = new Map<string, string[]>();
  for (const row of columns) byTable.set(row.table, [...(byTable.get(row.table) ?? []), row.column]);
  return parentsFirst([...byTable.keys()], references).map((name) => ({
    name,
    columns: byTable.get(name)!,
  }));
}

/** The sequences behind serial and identity columns, which hand out ids. */
export async function listOwnedSequences(db: Queryable): Promise<OwnedSequence[]> {
  const rows = (
    await db.raw(`
      SELECT t.relname AS table, a.attname AS column, s.relname AS sequence
      FROM pg_class s
      JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      JOIN pg_class t ON t.oid = d.refobjid
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
      WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace
      ORDER BY t.relname, a.attname`)
  ).rows as OwnedSequence[];
  return rows;
}
