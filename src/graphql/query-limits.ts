import {
  FragmentDefinitionNode,
  Kind,
  type DocumentNode,
  type FieldNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * The reference server's guard against expensive documents (MLflow 3.17 `graphql_no_batching.py`), checked
 * before validation so a hostile document costs one walk of its syntax tree: at most 10 levels of selection
 * sets, 1,000 field selections, `maxRootFields` root fields and `maxAliases` aliases in any one selection
 * set (fragments spread into a level count towards it, so aliases cannot be hidden in sibling fragments).
 * Every operation of the document counts, not only the one executed, as in the reference.
 */
export const MAX_DEPTH = 10;
export const MAX_SELECTIONS = 1000;

export interface QueryLimits {
  readonly maxRootFields: number;
  readonly maxAliases: number;
}

/** A field selection set flattened through its fragments, as the reference counts it. */
function fieldsOfLevel(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): { fields: FieldNode[]; aliases: number } {
  const fields: FieldNode[] = [];
  let aliases = 0;
  const pending = [...selectionSet.selections];
  // A fragment spread twice on one level (or spreading itself) is expanded once: cycles cannot loop.
  const expanded = new Set<string>();
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    if (next.kind === Kind.FIELD) {
      fields.push(next);
      if (next.alias) aliases += 1;
    } else if (next.kind === Kind.INLINE_FRAGMENT) {
      pending.push(...next.selectionSet.selections);
    } else if (!expanded.has(next.name.value)) {
      expanded.add(next.name.value);
      const fragment = fragments.get(next.name.value);
      if (fragment) pending.push(...fragment.selectionSet.selections);
    }
  }
  return { fields, aliases };
}

/** The first limit `document` breaks, as the reference words it; undefined when it keeps them all. */
export function exceededLimit(document: DocumentNode, limits: QueryLimits): string | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let rootFields = 0;
  let maxAliases = 0;
  let selections = 0;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const stack: Array<{ set: SelectionSetNode; depth: number }> = [
      { set: definition.selectionSet, depth: 1 },
    ];
    for (let level = stack.pop(); level !== undefined; level = stack.pop()) {
      if (level.depth > MAX_DEPTH) return `Query exceeds maximum depth of ${MAX_DEPTH}`;
      const { fields, aliases } = fieldsOfLevel(level.set, fragments);
      for (const field of fields) {
        if (level.depth === 1) rootFields += 1;
        if (field.selectionSet) stack.push({ set: field.selectionSet, depth: level.depth + 1 });
        selections += 1;
        if (selections > MAX_SELECTIONS) return `Query exceeds maximum total selections of ${MAX_SELECTIONS}`;
      }
      maxAliases = Math.max(maxAliases, aliases);
    }
  }
  if (rootFields > limits.maxRootFields)
    return tooMany(limits.maxRootFields, rootFields, 'root fields', 'MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS');
  if (maxAliases > limits.maxAliases)
    return tooMany(limits.maxAliases, maxAliases, 'aliases', 'MLFLOW_SERVER_GRAPHQL_MAX_ALIASES');
  return undefined;
}

function tooMany(limit: number, found: number, what: string, variable: string): string {
  return (
    `GraphQL queries should have at most ${limit} ${what}, got ${found} ${what}. ` +
    `To increase the limit, set the ${variable} environment variable.`
  );
}
