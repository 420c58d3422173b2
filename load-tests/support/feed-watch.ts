// An operator's live feed, watched: logs the moment each alarm first shows up triaged (performance.now()),
// and waits, within a deadline, until a given set of alarms has.
import { setTimeout as sleep } from 'node:timers/promises';
import { LiveFeed } from '../../services/simulator/console-client.js';

export class FeedWatch {
  /** Alarm id → when it was first seen triaged on the feed. */
  readonly triagedAt = new Map<string, number>();
  /** Alarm messages received (creations and changes). */
  messages = 0;
  /** The wait in progress: how many alarms it waits for, and how many of them are still missing. */
  waiting = { total: 0, missing: 0 };
  private feed: LiveFeed | undefined;

  /** Connected and caught up. The token is an operator's of all seven municipalities. */
  static async open(consoleUrl: string, token: string): Promise<FeedWatch> {
    const watch = new FeedWatch();
    watch.feed = await LiveFeed.open(consoleUrl, token, {
      onAlarm: (alarm, at) => {
        watch.messages++;
        if (alarm.triage && !watch.triagedAt.has(alarm.id)) watch.triagedAt.set(alarm.id, at);
      },
    });
    return watch;
  }

  at(alarmId: string): number | undefined {
    return this.triagedAt.get(alarmId);
  }

  /** Waits until every alarm in `ids` was seen triaged, or `timeoutMs` passed; returns those still missing. */
  async waitFor(ids: readonly string[], timeoutMs: number): Promise<string[]> {
    let missing = ids.filter((id) => !this.triagedAt.has(id));
    this.waiting = { total: ids.length, missing: missing.length };
    const deadline = performance.now() + timeoutMs;
    while (missing.length && performance.now() < deadline) {
      await sleep(50);
      missing = missing.filter((id) => !this.triagedAt.has(id));
      this.waiting.missing = missing.length;
    }
    return missing;
  }

  close(): void {
    this.feed?.close();
  }
}
