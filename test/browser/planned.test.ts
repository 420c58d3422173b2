// Planned work in chromium: a supervisor schedules a planned call for a citizen in the panel (a night
// check is refused until consent is recorded there); at its due time the item appears on the board with
// its due time and window, ordered with the alarms, and its detail offers the planned call's results.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { materialiseSchedules } from '../../services/triage/planned-work.js';
import { testEvent } from '../support/env.js';
import { browserFixture, row } from './harness.js';

const fx = browserFixture();

describe('planned work in chromium', () => {
  it('a supervisor schedules a call and records consent; the due item is on the board and is settled from its detail', async () => {
    const sup = await fx.loggedIn('sup-all');
    const panel = sup.locator('section.schedules');
    await panel.getByLabel('Borger-id').fill('c-aabenraa-4');
    await panel.getByRole('button', { name: 'Vis' }).click();
    await panel.getByText('Ingen planer').waitFor();

    // A night check without consent is refused with the server's reason.
    await panel.getByLabel('Type').selectOption('night_check');
    await panel.getByLabel(/Tidspunkter/).fill('23:00, 02:00');
    await panel.getByRole('button', { name: 'Tilføj plan' }).click();
    await panel
      .getByRole('alert')
      .getByText(/no consent to night supervision/)
      .waitFor();
    await panel.getByLabel(/Repræsentant/).fill('Datter');
    await panel.getByRole('button', { name: 'Registrér samtykke' }).click();
    await panel.getByText(/Datter ·/).waitFor();
    await panel.getByRole('button', { name: 'Tilføj plan' }).click();
    await panel.getByText(/Natligt tilsyn · 02:00, 23:00/i).waitFor();

    await panel.getByLabel('Type').selectOption('planned_call');
    await panel.getByLabel(/Tidspunkter/).fill('10:00');
    await panel.getByRole('button', { name: 'Tilføj plan' }).click();
    await panel.getByText(/10:00 · vindue 30 min/).waitFor();

    // A pendant press with voice contact (priority 3) received before the call falls due.
    const press = await fx.post('aabenraa', testEvent('aabenraa', 6, 'pendant', { voice: 'connected' }));
    await row(sup, press).waitFor();
    // The call fell due a minute before the press but is raised only now (its stored due time moved back,
    // as when no worker ran): the worker raises it within a second.
    await materialiseSchedules(fx.te.rt);
    const call = await fx.te.rt.db
      .selectFrom('care_occurrences')
      .select('id')
      .where('citizen_id', '=', 'c-aabenraa-4')
      .where('kind', '=', 'planned_call')
      .orderBy('due_at')
      .executeTakeFirstOrThrow();
    await sql`UPDATE care_occurrences
                SET due_at = (SELECT received_at - interval '1 minute' FROM alarms WHERE id = ${press}::uuid),
                    window_ends_at = now() + interval '30 minutes', next_attempt_at = now() - interval '1 second'
              WHERE id = ${call.id}`.execute(fx.te.rt.db);
    const item = sup.locator('tr.row', { hasText: 'Planlagt opkald' });
    await item.getByText(/Planlagt [\d.:]+, senest [\d.:]+/).waitFor({ timeout: 10_000 });
    await item.getByText(/tilbage af vinduet/).waitFor();
    // Both priority 3: the call was due before the press was received, so it comes first, though raised later.
    await expect
      .poll(async () => {
        const rows = await sup.locator('tr.row').allInnerTexts();
        return rows.findIndex((r) => r.includes('Planlagt opkald')) < rows.findIndex((r) => r.includes('Nødkald'));
      })
      .toBe(true);

    await item.getByRole('button', { name: 'Åbn' }).click();
    const detail = sup.locator('aside.detail');
    await detail.getByText(/skal tages senest/).waitFor();
    for (const label of ['Truffet, har det godt', 'Truffet, behov for hjælp: besøg', 'Ikke truffet'])
      await detail.getByRole('button', { name: label }).waitFor();
    expect(await detail.getByRole('button', { name: 'Fejlalarm' }).count()).toBe(0);
    await detail.getByRole('button', { name: 'Truffet, har det godt' }).click();
    await item.waitFor({ state: 'detached' });
    const done = await fx.te.rt.db
      .selectFrom('care_occurrences')
      .select(['status', 'result'])
      .where('id', '=', call.id)
      .executeTakeFirstOrThrow();
    expect(done).toEqual({ status: 'done', result: 'reached_well' });
  });
});
