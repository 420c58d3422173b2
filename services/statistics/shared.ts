// The shared, anonymised figures ("ensartet datagrundlag"): every taking-part municipality's months in
// one documented format, so municipalities can compare themselves. The figures are counts, shares and
// durations of alarms: no citizen, device, user or note is in them (repeat callers are counted, never
// named). A municipality that opted out (shareStatistics false) is left out.
import { z } from 'zod';
import type { Db } from '../../db/connect.js';
import { listMunicipalities } from '../../db/municipalities.js';
import type { Month } from '../../domain/statistics.js';
import { SHARED_SCHEMA_VERSION, sharedStatistics as sharedShape } from '../../domain/statistics-views.js';
import { MONTH_COLUMNS } from './csv.js';
import { monthlyStatistics } from './monthly.js';

/** The municipalities that take part. */
export async function participatingMunicipalities(db: Db) {
  return (await listMunicipalities(db, null)).filter((m) => m.share_statistics);
}

export async function sharedStatistics(db: Db, from: Month, to: Month, now = new Date()) {
  const stats = await monthlyStatistics(db, await participatingMunicipalities(db), from, to);
  return {
    schemaVersion: SHARED_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    from: stats.from,
    to: stats.to,
    targets: stats.targets,
    municipalities: stats.municipalities,
  };
}

/** The export's documented format: a JSON Schema of the JSON, and the CSV's columns in order. */
export function sharedSchema() {
  return {
    schemaVersion: SHARED_SCHEMA_VERSION,
    json: z.toJSONSchema(sharedShape, { target: 'draft-2020-12' }) as Record<string, unknown>,
    csv: {
      encoding: 'UTF-8, a header row, one row per municipality and month; RFC 4180 quoting',
      dialects: {
        comma: "',' between fields, '.' in decimals",
        semicolon: "';' between fields, ',' in decimals, a byte-order mark first (sep=semicolon)",
      },
      columns: MONTH_COLUMNS.map(([name]) => name),
      note: 'Each column holds the JSON field of the same path (outcomes.dispatch is months[].outcomes.dispatch); an empty field is null (nothing to share out).',
    },
  };
}
