import { isCircuitOpenError } from 'circuitry';
import { guardedFetch } from './guarded-fetch.js';
import type { GuardedFetchOptions } from './guarded-fetch.js';

export interface User {
  readonly id: string;
  readonly name: string;
}

export type UserLookup = { user: User } | { unavailable: string; retryAfterMs: number };

/** A client of a users API: what a caller does with the answers and refusals of `guardedFetch`. */
export function usersClient(baseUrl: string, options: GuardedFetchOptions = {}) {
  const get = guardedFetch({ name: 'users-api', ...options });

  async function find(id: string): Promise<UserLookup> {
    try {
      const response = await get(`${baseUrl}/users/${encodeURIComponent(id)}`);
      if (!response.ok) return { unavailable: `users-api answered ${response.status}`, retryAfterMs: 0 };
      return { user: (await response.json()) as User };
    } catch (error) {
      // Open: the users API is known to be down, so no request was made.
      if (isCircuitOpenError(error)) return { unavailable: `${error.breakerName} is down`, retryAfterMs: error.retryAfter };
      throw error;
    }
  }

  return { find, breaker: get.breaker };
}
