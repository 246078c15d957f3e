import { parseSseChunk } from './events';

describe('parseSseChunk', () => {
  it('returns complete data payloads and keeps the partial tail', () => {
    const text = 'data: {"a":1}\n\n: comment\n\ndata: {"b":2}\r\n\r\ndata: {"c"';
    const { events, rest } = parseSseChunk(text);
    expect(events).toEqual(['{"a":1}', '{"b":2}']);
    expect(rest).toBe('data: {"c"');
  });

  it('joins multi-line data fields', () => {
    expect(parseSseChunk('event: x\ndata: 1\ndata: 2\n\n').events).toEqual(['1\n2']);
  });
});
