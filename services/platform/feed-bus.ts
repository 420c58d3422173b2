// Change notifications between processes, over Redis pub/sub. A message says only "the change log
// has grown"; console instances then read the log from Postgres, the record, in seq order.
// A lost message delays a console by at most its poll interval, never loses a change.
import type { Redis } from './redis.js';

export const feedChannel = (redisPrefix: string) => `${redisPrefix}:feed`;

export class FeedPublisher {
  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
  ) {}

  /** Best effort: consoles also poll, so a Redis hiccup here only adds latency. */
  async published(): Promise<void> {
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
