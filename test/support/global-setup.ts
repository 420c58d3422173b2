import { prepareTemplate } from './databases.js';

export default async function setup(): Promise<void> {
  await prepareTemplate();
}
