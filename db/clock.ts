// The clock of deadline statements: the database's own (`now()`, the transaction's start), so that the
// processes' clocks never matter; or a time given, so that a test can move time forward without
// waiting or rewriting stored timestamps (the escalation scan and the planned-work pass take one).
import { sql, type RawBuilder } from 'kysely';

/** `now()`, or `at` when given. */
export const clock = (at?: Date): RawBuilder<Date> => (at ? sql<Date>`${at}::timestamptz` : sql<Date>`now()`);
