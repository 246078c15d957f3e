// One sentence and one next step for every error type the gateway can answer with
// (dd_contracts.catalogue.ErrorType; error-messages.test.ts fails when one is missing),
// plus the two the browser meets on its own: the gateway down, and an answer that is not
// the gateway's JSON.
import type { ApiError } from './api-error';

export interface ErrorMessage {
  /** What happened, for a person. */
  sentence: string;
  /** What to do next. */
  next: string;
}

export const ERROR_MESSAGES: Record<string, ErrorMessage> = {
  bad_request: {
    sentence: 'The request was malformed.',
    next: 'Reload the page and try again; if it keeps happening, report it with the request id.',
  },
  validation_error: {
    sentence: 'The request was not valid.',
    next: 'Check the file and options, then try again.',
  },
  empty_media: { sentence: 'The file is empty.', next: 'Choose a file that has content.' },
  callbacks_disabled: {
    sentence: 'Callbacks are not enabled on this gateway.',
    next: 'Analyse without a callback address, or ask the operator to set a callback secret.',
  },
  callback_refused: {
    sentence: 'The callback address is not allowed.',
    next: 'Use a public https address for the callback.',
  },
  unauthorized: {
    sentence: 'This gateway needs a valid API key.',
    next: 'Enter your API key below or in Settings; ask the operator for one if you have none.',
  },
  forbidden: {
    sentence: 'Your API key may not do that.',
    next: 'Use a key that has this permission, or ask the operator.',
  },
  rate_limited: {
    sentence: 'Too many requests in a short time.',
    next: 'Wait a moment, then try again.',
  },
  not_found: {
    sentence: 'This analysis does not exist (it may have been deleted).',
    next: 'Open the history to find your analyses, or start a new one.',
  },
  method_not_allowed: {
    sentence: 'The gateway does not allow that action here.',
    next: 'Reload the page; the dashboard may be older than the gateway.',
  },
  analysis_running: {
    sentence: 'The analysis is still running, so it cannot be deleted yet.',
    next: 'Wait until it has finished, then delete it.',
  },
  not_finished: {
    sentence: 'The analysis has not finished yet.',
    next: 'Wait for the result; the report is ready once the verdict is shown.',
  },
  range_not_satisfiable: {
    sentence: 'The player asked for a part of the file that does not exist.',
    next: 'Reload the page to restart the player.',
  },
  payload_too_large: {
    sentence: 'The file is larger than this server accepts.',
    next: 'Use a smaller or shorter file (compress or trim it).',
  },
  decompression_bomb: {
    sentence: 'The image declares more pixels than this server decodes.',
    next: 'Resize the image to a normal photo size and try again.',
  },
  resolution_too_large: {
    sentence: 'The picture is larger than the limit.',
    next: 'Resize it (for example to 4000 pixels wide or less) and try again.',
  },
  resolution_too_small: {
    sentence: 'The picture is too small to analyse.',
    next: 'Use a larger version of the picture (the original if you can get it).',
  },
  duration_too_long: {
    sentence: 'The recording is longer than the limit.',
    next: 'Cut the part you want checked and upload that.',
  },
  too_many_frames: {
    sentence: 'The file declares more frames or samples than this server reads.',
    next: 'Cut it shorter or re-encode it, then try again.',
  },
  unsupported_media_type: {
    sentence: 'This file is not an image, audio or video format the server reads.',
    next: 'Upload a picture (JPEG, PNG, WebP), a recording (WAV, MP3, FLAC, OGG) or a video (MP4, WebM, MOV).',
  },
  corrupt_media: {
    sentence: 'The file is damaged or cut short and cannot be read.',
    next: 'Download or export it again, then upload the new copy.',
  },
  no_media_streams: {
    sentence: 'The file holds no sound or picture.',
    next: 'Check that it plays on your computer, then upload a file that does.',
  },
  no_video_stream: {
    sentence: 'The file holds no video picture.',
    next: 'Upload it as audio, or choose the video file itself.',
  },
  parse_limit_exceeded: {
    sentence: 'Reading the file took more memory or time than allowed.',
    next: 'Re-encode it in a common format (for example H.264 MP4) and try again.',
  },
  queue_full: {
    sentence: 'The server is busy with other analyses.',
    next: 'Try again in a minute.',
  },
  busy: { sentence: 'A detector is busy.', next: 'Try again in a minute.' },
  not_ready: {
    sentence: 'The detectors are still starting.',
    next: 'Wait a minute and try again.',
  },
  unavailable: {
    sentence: 'A detector service is unavailable.',
    next: 'Try again later; the operator can see which service on /v1/services.',
  },
  upstream_error: {
    sentence: 'A detector answered with an error.',
    next: 'Try again; if it keeps happening, report it with the request id.',
  },
  fusion_unavailable: {
    sentence: 'The service that combines the scores could not be reached.',
    next: 'Try again in a minute.',
  },
  fusion_failed: {
    sentence: 'Combining the scores into a verdict failed.',
    next: 'Try again; if it keeps happening, report it with the request id.',
  },
  interrupted: {
    sentence: 'The analysis was interrupted by a server restart.',
    next: 'Submit the file again.',
  },
  duplicate_modality: {
    sentence: 'The server received the same kind of result twice.',
    next: 'Submit the file again; report it if it keeps happening.',
  },
  internal_error: {
    sentence: 'Something went wrong on the server.',
    next: 'Try again; if it keeps happening, report it with the request id.',
  },
  network: {
    sentence: 'The DeepfakeDetective server cannot be reached.',
    next: 'Check that the gateway is running (make run) and your connection, then retry.',
  },
  bad_response: {
    sentence: 'The server answered with something unexpected.',
    next: 'Reload the page; if it keeps happening, report it.',
  },
};

// Types older releases used for the same condition (catalogue.ALIASES).
const ALIASES: Record<string, string> = {
  media_too_large: 'payload_too_large',
  file_too_large: 'payload_too_large',
};

export function messageFor(type: string): ErrorMessage {
  return ERROR_MESSAGES[ALIASES[type] ?? type] ?? ERROR_MESSAGES.internal_error;
}

/** The sentence, the wait (429/503 Retry-After) and the next step for an error. */
export function describeError(error: ApiError): ErrorMessage & { wait: string | null } {
  const message = messageFor(error.type);
  const wait =
    error.retryAfterS != null && (error.status === 429 || error.status === 503)
      ? `Try again in ${error.retryAfterS} second${error.retryAfterS === 1 ? '' : 's'}.`
      : null;
  return { ...message, wait };
}
