import { Option, type Command } from 'commander';
import { ApiClient } from '../apiClient.js';

export interface ApiFlags {
  url: string;
  key?: string;
}

/** --url and --key for commands that talk to a running API (BROWNIAN_URL, BROWNIAN_API_KEY). */
export function withApiOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--url <url>', 'GraphQL endpoint').env('BROWNIAN_URL').default('http://127.0.0.1:4000/graphql'),
    )
    .addOption(new Option('--key <key>', 'API key').env('BROWNIAN_API_KEY'));
}

export function apiClient(flags: ApiFlags): ApiClient {
  if (!flags.key) throw new Error('an API key is needed: pass --key or set BROWNIAN_API_KEY');
  return new ApiClient(flags.url, flags.key);
}
