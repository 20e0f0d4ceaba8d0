/** How a lifecycle event (semreg-api.md "History") reads in the timeline: one short sentence. */
export interface EventLike {
  type: string;
  version?: string | null;
  semver?: string | null;
  stage?: string | null;
  alias?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

function field(record: Record<string, unknown> | null | undefined, key: string): string | undefined {
  const value = record?.[key];
  return value === undefined || value === null ? undefined : String(value);
}

export function describeEvent(event: EventLike): string {
  const v = event.version ? `v${event.version}${event.semver ? ` (${event.semver})` : ''}` : '';
  switch (event.type) {
    case 'model.created':
      return 'Model created';
    case 'version.created':
      return `${v} created`;
    case 'version.deleted':
      return `${v} deleted`;
    case 'stage.transitioned': {
      const from = field(event.before, 'stage') ?? field(event.before, 'current_stage');
      const to = event.stage ?? field(event.after, 'stage') ?? field(event.after, 'current_stage');
      return `${v} moved${from ? ` from ${from}` : ''} to ${to ?? '?'}`;
    }
    case 'alias.set': {
      const previous = field(event.before, 'version');
      return `@${event.alias} → ${v}${previous ? ` (was v${previous})` : ''}`;
    }
    case 'alias.deleted':
      return `@${event.alias} removed${v ? ` from ${v}` : ''}`;
    case 'tag.set':
      return `Tag ${field(event.after, 'key') ?? ''} set${v ? ` on ${v}` : ''}`;
    case 'tag.deleted':
      return `Tag ${field(event.before, 'key') ?? ''} deleted${v ? ` from ${v}` : ''}`;
    case 'package.file_added':
      return `File ${field(event.after, 'path') ?? ''} added to ${v}`;
    case 'package.file_deleted':
      return `File ${field(event.before, 'path') ?? ''} deleted from ${v}`;
    default:
      return `${event.type}${v ? ` ${v}` : ''}`;
  }
}
