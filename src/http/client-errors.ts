import http from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Node answers requests its HTTP parser refuses (headers over 16 KB — e.g. 10,000 query parameters —,
 * malformed request lines, slow-loris header timeouts) with a bare status line and no body, before Express
 * sees them. MLflow's client then derives the error from the status alone (mlflow-compat.md §2.1); we send
 * the same statuses with the JSON error body every other response has.
 */
function reply(socket: Duplex, status: number, errorCode: string, message: string): void {
  const body = JSON.stringify({ error_code: errorCode, message });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function answerClientErrorsWithJson(server: http.Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    switch (err.code) {
      case 'HPE_HEADER_OVERFLOW':
        return reply(
          socket,
          431,
          'INVALID_PARAMETER_VALUE',
          'The request line and headers are larger than 16 KB (too many query parameters?).',
        );
      case 'ERR_HTTP_REQUEST_TIMEOUT':
        return reply(socket, 408, 'DEADLINE_EXCEEDED', 'The request headers did not arrive in time.');
      default:
        return reply(socket, 400, 'BAD_REQUEST', 'Malformed HTTP request.');
    }
  });
}
