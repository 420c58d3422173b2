-- A citizen's recent alarms, for the card the operator opens (the last 30 days, newest first).
-- Partial: alarms from unknown devices and gateway alarms have no citizen.
CREATE INDEX alarms_citizen_received ON alarms (citizen_id, received_at DESC) WHERE citizen_id IS NOT NULL;
