import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiError } from './api-error';
import { describeError, ERROR_MESSAGES, messageFor } from './error-messages';

// The gateway's closed catalogue of error types, read from the Python source so a new
// type without a dashboard message fails here.
function catalogueTypes(): string[] {
  const source = readFileSync(
    resolve(__dirname, '../../../libs/contracts/dd_contracts/catalogue.py'),
    'utf8',
  );
  const body = source.split('class ErrorType')[1].split('\n\n\n')[0];
  return [...body.matchAll(/^\s+(\w+) = "(\w+)"/gm)].map((m) => m[2]);
}

describe('error messages', () => {
  it('has a sentence and a next step for every catalogue type', () => {
    const types = catalogueTypes();
    expect(types.length).toBeGreaterThan(20);
    for (const type of types) {
      expect(ERROR_MESSAGES[type], type).toBeDefined();
      expect(ERROR_MESSAGES[type].sentence.length).toBeGreaterThan(5);
      expect(ERROR_MESSAGES[type].next.length).toBeGreaterThan(5);
    }
  });

  it('resolves aliases and unknown types', () => {
    expect(messageFor('media_too_large')).toBe(ERROR_MESSAGES.payload_too_large);
    expect(messageFor('something_new')).toBe(ERROR_MESSAGES.internal_error);
  });

  it('says how long to wait on 429 and 503', () => {
    const limited = new ApiError({ status: 429, type: 'rate_limited', detail: '', retryAfterS: 7 });
    expect(describeError(limited).wait).toBe('Try again in 7 seconds.');
    const notFound = new ApiError({ status: 404, type: 'not_found', detail: '', retryAfterS: 7 });
    expect(describeError(notFound).wait).toBeNull();
  });
});
