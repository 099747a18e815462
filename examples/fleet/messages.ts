/** What the demo's processes say to each other over IPC. */

/** From the demo to a service process. */
export type Order = { readonly type: 'call' } | { readonly type: 'exit' };

/** From a service process to the demo. */
export type Report =
  | { readonly type: 'ready'; readonly service: number }
  | { readonly type: 'transition'; readonly service: number; readonly from: string; readonly to: string; readonly ownFailures: number; readonly at: number }
  | { readonly type: 'call'; readonly service: number; readonly result: 'ok' | 'failed' | 'rejected' | 'ramped'; readonly trial: boolean; readonly detail: string; readonly at: number };
