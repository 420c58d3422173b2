// Change notifications between processes, over Redis pub/sub. A message says only "the change log
// has grown"; console instances then read the log from Postgres, the record, in seq order.
// A lost message delays a console by at most its poll interval, never loses a change.
import type { Redis } from './redis.js';

export const feedChannel = (redisPrefix: string) => `${redisPrefix}:feed`;

export class FeedPublisher {
  private inFlight: Promise<void> | null = null;
  private again: Promise<void> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
  ) {}

  /**
   * Tell consoles the log has grown. Calls made while a publish is in flight share one more publish
   * after it, so a burst of commits costs two messages, not one per commit, and every caller's change
   * is covered by a message sent after it returned from COMMIT.
   *
   * Best effort: consoles also poll, so a Redis hiccup here only adds latency.
   */
  published(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.send().finally(() => (this.inFlight = null));
      return this.inFlight;
    }
    this.again ??= this.inFlight.then(() => {
      this.again = null;
      return this.published();
    });
    return this.again;
  }

  private async send(): Promise<void> {
    try {
      await this.redis.publish(this.channel, 'changed');
    } catch {
      /* consoles poll the log as a safety net */
    }
  }
}

export async function subscribeFeed(subscriber: Redis, channel: string, onChange: () => void): Promise<void> {
  subscriber.on('message', (ch: string) => {
    if (ch === channel) onChange();
  });
  await subscriber.subscribe(channel);
}
