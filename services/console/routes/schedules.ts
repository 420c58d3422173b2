// Planned calls' and night checks' schedules, and consent to night supervision, managed by supervisors
// and administrators for the citizens in their scope (a citizen outside it is answered 404).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { findCitizen } from '../../../db/citizens.js';
import {
  ConsentRequired,
  deleteSchedule,
  findConsent,
  findSchedule,
  listConsents,
  listSchedules,
  recordConsent,
  updateSchedule,
  upsertSchedules,
  withdrawConsent,
  type ConsentRow,
  type ScheduleRow,
} from '../../../db/planned.js';
import { DEFAULT_WINDOW_MINUTES, localDateOf } from '../../../domain/planned.js';
import {
  consentFields,
  consentView,
  scheduleFields,
  scheduleView,
  type ConsentView,
  type ScheduleFields,
  type ScheduleView,
} from '../../../domain/planned-views.js';
import { storableText } from '../../../domain/storable.js';
import { errorBody } from '../../../domain/views.js';
import { conflict, HttpError, notFound } from '../../../platform/errors.js';
import type { HttpPlugin } from '../../../platform/http.js';
import { listScope, visibleOrNotFound, type ConsoleUser } from '../access.js';
import { userOf } from '../auth.js';
import { actorOf, audit } from '../audit-trail.js';
import { SCOPE } from '../protected.js';
import { security, type ConsoleContext } from '../context.js';
import { isUuid } from '../cursor.js';

const iso = (d: Date | string) => new Date(d).toISOString();

export const toScheduleView = (r: ScheduleRow): ScheduleView => ({
  id: r.id,
  citizenId: r.citizen_id,
  municipality: r.municipality_id,
  kind: r.kind,
  times: r.times,
  days: r.days.map(Number),
  windowMinutes: r.window_minutes,
  activeFrom: r.active_from,
  activeTo: r.active_to,
  note: r.note,
  createdBy: r.created_by,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export const toConsentView = (r: ConsentRow): ConsentView => ({
  id: r.id,
  citizenId: r.citizen_id,
  municipality: r.municipality_id,
  givenBy: r.given_by,
  representativeName: r.representative_name,
  givenAt: iso(r.given_at),
  recordedBy: r.recorded_by,
  recordedAt: iso(r.recorded_at),
  withdrawnAt: r.withdrawn_at === null ? null : iso(r.withdrawn_at),
  withdrawnBy: r.withdrawn_by,
  inForce: r.withdrawn_at === null,
});

/** The stored form of a schedule's fields: the kind's window and today's date when none are given. */
export const scheduleInput = (f: ScheduleFields) => ({
  kind: f.kind,
  times: [...f.times].sort(),
  days: [...f.days].sort(),
  windowMinutes: f.windowMinutes ?? DEFAULT_WINDOW_MINUTES[f.kind],
  activeFrom: f.activeFrom ?? localDateOf(new Date()),
  activeTo: f.activeTo,
  note: f.note,
});

const consentRequired = (citizenId: string) =>
  new HttpError(
    409,
    'consent_required',
    `citizen ${citizenId} has no consent to night supervision on record: record the consent (POST /v1/citizens/${citizenId}/consents) before scheduling night checks`,
  );

const idParams = z.object({ id: storableText(1, 200) });
const scheduleList = z.object({ schedules: z.array(scheduleView) });
const citizenPlan = z.object({
  citizenId: z.string(),
  schedules: z.array(scheduleView),
  consents: z.array(consentView),
});

export const scheduleRoutes: HttpPlugin<ConsoleContext> = async (app, { rt }) => {
  const tags = ['planned work'];
  const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };
  const allow = { allow: ['schedules:manage'] as ['schedules:manage'] };

  const visibleCitizen = async (user: ConsoleUser, id: string) =>
    visibleOrNotFound(user, await findCitizen(rt.db, id), 'citizen');
  const visibleSchedule = async (user: ConsoleUser, id: string) =>
    visibleOrNotFound(user, await findSchedule(rt.db, id), 'schedule');

  app.get(
    '/v1/schedules',
    {
      config: { ...allow, scope: SCOPE.municipalityFilter },
      schema: {
        tags,
        summary: 'Schedules of planned calls and night checks in your municipalities',
        security,
        querystring: z.object({
          municipality: storableText(1, 64).optional(),
          citizen: storableText(1, 64).optional(),
        }),
        response: { 200: scheduleList, ...errors },
      },
    },
    async (req) => {
      const user = userOf(req);
      const rows = await listSchedules(rt.db, {
        municipalities: listScope(user, req.query.municipality),
        citizenId: req.query.citizen,
      });
      return { schedules: rows.map(toScheduleView) };
    },
  );

  app.get(
    '/v1/citizens/:id/schedules',
    {
      config: { ...allow, scope: SCOPE.citizenInPath },
      schema: {
        tags,
        summary: "A citizen's schedules and consent records (night supervision)",
        security,
        params: idParams,
        response: { 200: citizenPlan, ...errors },
      },
    },
    async (req) => {
      const citizen = await visibleCitizen(userOf(req), req.params.id);
      const [schedules, consents] = await Promise.all([
        listSchedules(rt.db, { citizenId: citizen.id, municipalities: null }),
        listConsents(rt.db, citizen.id),
      ]);
      return { citizenId: citizen.id, schedules: schedules.map(toScheduleView), consents: consents.map(toConsentView) };
    },
  );

  app.post(
    '/v1/citizens/:id/schedules',
    {
      config: { ...allow, scope: SCOPE.citizenInPath },
      schema: {
        tags,
        summary: 'Schedule planned calls or night checks for a citizen',
        description:
          'A night check needs the citizen’s consent in force: without it the schedule is refused 409 consent_required, and nothing is stored. Due items appear on the board at their times.',
        security,
        params: idParams,
        body: scheduleFields,
        response: { 201: scheduleView, ...errors, 409: errorBody },
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const citizen = await visibleCitizen(user, req.params.id);
      const id = randomUUID();
      try {
        await upsertSchedules(rt.db, [{ id, citizenId: citizen.id, by: user.username, ...scheduleInput(req.body) }]);
      } catch (err) {
        if (err instanceof ConsentRequired) throw consentRequired(citizen.id);
        throw err;
      }
      await audit(rt.db, actorOf(req), {
        action: 'schedule.set',
        citizenId: citizen.id,
        municipality: citizen.municipality_id,
        outcome: 'allowed',
      });
      reply.code(201);
      return toScheduleView((await findSchedule(rt.db, id))!);
    },
  );

  app.put(
    '/v1/schedules/:id',
    {
      config: { ...allow, scope: SCOPE.scheduleInPath },
      schema: {
        tags,
        summary: 'Change a schedule',
        description:
          'Replaces what the schedule says. Items already due stay; those not yet due are made again from the new schedule. A night check needs consent in force (409 consent_required).',
        security,
        params: idParams,
        body: scheduleFields,
        response: { 200: scheduleView, ...errors, 409: errorBody },
      },
    },
    async (req) => {
      const s = await visibleSchedule(userOf(req), req.params.id);
      try {
        await updateSchedule(rt.db, s.id, scheduleInput(req.body));
      } catch (err) {
        if (err instanceof ConsentRequired) throw consentRequired(s.citizen_id);
        throw err;
      }
      await audit(rt.db, actorOf(req), {
        action: 'schedule.set',
        citizenId: s.citizen_id,
        municipality: s.municipality_id,
        outcome: 'allowed',
      });
      return toScheduleView((await findSchedule(rt.db, s.id))!);
    },
  );

  app.delete(
    '/v1/schedules/:id',
    {
      config: { ...allow, scope: SCOPE.scheduleInPath },
      schema: {
        tags,
        summary: 'Delete a schedule',
        description: 'It produces no more items; items already due stay, and its history stays in the statistics.',
        security,
        params: idParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      const s = await visibleSchedule(userOf(req), req.params.id);
      if (!(await deleteSchedule(rt.db, s.id))) throw notFound('no such schedule');
      await audit(rt.db, actorOf(req), {
        action: 'schedule.delete',
        citizenId: s.citizen_id,
        municipality: s.municipality_id,
        outcome: 'allowed',
      });
      reply.code(204);
      return null;
    },
  );

  app.post(
    '/v1/citizens/:id/consents',
    {
      config: { ...allow, scope: SCOPE.citizenInPath },
      schema: {
        tags,
        summary: 'Record consent to night supervision',
        description:
          'Who consented (the citizen, or a named representative) and when; you are recorded as who recorded it. 409 when consent is already in force.',
        security,
        params: idParams,
        body: consentFields,
        response: { 201: consentView, ...errors, 409: errorBody },
      },
    },
    async (req, reply) => {
      const user = userOf(req);
      const citizen = await visibleCitizen(user, req.params.id);
      const id = await recordConsent(rt.db, {
        citizenId: citizen.id,
        givenBy: req.body.givenBy,
        representativeName: req.body.representativeName ?? null,
        givenAt: req.body.givenAt ?? new Date(),
        recordedBy: user.username,
      });
      if (id === undefined) throw conflict('consent to night supervision is already in force for this citizen');
      await audit(rt.db, actorOf(req), {
        action: 'consent.record',
        citizenId: citizen.id,
        municipality: citizen.municipality_id,
        outcome: 'allowed',
      });
      reply.code(201);
      return toConsentView((await findConsent(rt.db, id))!);
    },
  );

  app.post(
    '/v1/consents/:id/withdraw',
    {
      config: { ...allow, scope: SCOPE.consentInPath },
      schema: {
        tags,
        summary: 'Withdraw consent to night supervision',
        description:
          'From now on the citizen’s night-check schedules produce no items; items not yet due are removed. The record stays, with who withdrew it and when. 409 when already withdrawn.',
        security,
        params: idParams,
        response: { 200: consentView, ...errors, 409: errorBody },
      },
    },
    async (req) => {
      const user = userOf(req);
      const id = isUuid(req.params.id) ? req.params.id : undefined;
      const consent = visibleOrNotFound(user, id ? await findConsent(rt.db, id) : undefined, 'consent');
      if (!(await withdrawConsent(rt.db, consent.id, user.username)))
        throw conflict('the consent is already withdrawn');
      await audit(rt.db, actorOf(req), {
        action: 'consent.withdraw',
        citizenId: consent.citizen_id,
        municipality: consent.municipality_id,
        outcome: 'allowed',
      });
      return toConsentView((await findConsent(rt.db, consent.id))!);
    },
  );
};
