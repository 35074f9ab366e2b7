import { z } from 'zod';
import { parseWith } from './validate.js';

/** What a push deploy reads of a payload; each may be missing (Matatika's own example is `{ }`). */
export interface PushFields {
  ref?: string;
  after?: string;
  before?: string;
  deleted?: boolean;
}

export const pushFieldsSchema = z.looseObject({
  ref: z.string({ error: 'expected a ref such as refs/heads/main' }).optional(),
  after: z
    .string({ error: 'expected a 40-character commit id' })
    .regex(/^[0-9a-f]{40}$/, { error: 'expected a 40-character commit id' })
    .optional(),
  before: z.string({ error: 'expected a commit id' }).optional(),
  deleted: z.boolean({ error: 'expected true or false' }).optional(),
});

/**
 * The push fields of a signed payload: a field that is there but not what GitHub sends (a `ref`
 * that is no string, an `after` that is no commit id) is a 400 naming it, not a deploy of the
 * branch head.
 */
export function pushFields(payload: Record<string, unknown>): PushFields {
  return parseWith(pushFieldsSchema, payload, 'push payload');
}
