// Incidents: the alarms that are one situation of one citizen, so repeated presses count as a signal
// (primer: "Repeat callers") instead of lying in the queue as unrelated rows. Pure: no I/O.
//
// An alarm is given its incident when it is stored (db/accept.ts), in this order:
//   1. a follow-up (relatesTo) joins the incident of the stored alarm it relates to (same gateway,
//      event id = relatesTo);
//   2. otherwise it joins the incident of the device's latest open alarm (OPEN_ALARM_STATUSES) in the
//      same municipality and lane that was received less than the municipality's incident window
//      (municipalities.incident_window_minutes, INCIDENT_WINDOW_MINUTES by default) before (by the
//      database clock);
//   3. otherwise alarms of one gateway, device and lane stored in the same batch share a new incident,
//      and any other alarm starts one of its own.
// The window runs from the incident's latest alarm, so presses every few minutes stay one incident.

/**
 * Repeated alarms of one device within this many minutes belong to one incident, unless the municipality
 * sets its own window (domain/triage.ts, TriageSettings). Source: the primer's
 * Luleå case, 8 presses in 30 minutes during a vendor outage.
 */
export const INCIDENT_WINDOW_MINUTES = 30;
