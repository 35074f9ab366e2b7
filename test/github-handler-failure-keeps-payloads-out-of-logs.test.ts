import { describe, expect, it } from 'vitest';
import { handlerFailure } from '../app/github/github-app.js';
import { SlipwayError } from '../core/errors.js';

/**
 * Probot rejects a delivery whose handler threw with an AggregateError that carries the event,
 * payload and all: logged as it is, a private repository's commits and e-mails would be in the
 * server log, and a handler's own 4xx would be a 500.
 */
describe('a webhook handler failure, as the route sees it', () => {
  const event = { id: 'd1', name: 'push', payload: { marker: 'PAYLOAD-MARKER' } };

  it("is the handler's own SlipwayError, with its status", () => {
    const own = new SlipwayError('BAD_REQUEST', '"commit" is "abc"; expected a full commit id');
    const failure = Object.assign(new AggregateError([own], own.message), { event });
    expect(handlerFailure(failure)).toBe(own);
  });

  it('keeps any other failure, without the event', () => {
    const failure = Object.assign(new AggregateError([new TypeError('boom')], 'boom'), { event });
    const seen = handlerFailure(failure);
    expect(seen).toBe(failure);
    expect(JSON.stringify({ ...(seen as object) })).not.toContain('PAYLOAD-MARKER');
    expect((seen as { event?: unknown }).event).toBeUndefined();
  });

  it('passes an error that is not an aggregate through', () => {
    const plain = new Error('plain');
    expect(handlerFailure(plain)).toBe(plain);
  });
});
