import { Catch, HttpStatus } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { CircuitOpenError, TimeoutError } from 'circuitry';

/** An open circuit is a 503 with `Retry-After`; a call that ran out of time, a 504. */
@Catch(CircuitOpenError, TimeoutError)
export class CircuitErrorFilter implements ExceptionFilter {
  catch(error: CircuitOpenError | TimeoutError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    if (error instanceof TimeoutError) {
      response.status(HttpStatus.GATEWAY_TIMEOUT).json({ statusCode: HttpStatus.GATEWAY_TIMEOUT, message: error.message });
      return;
    }
    // retryAfter is Infinity while someone holds the circuit open by hand: no promise to make.
    if (Number.isFinite(error.retryAfter)) response.set('Retry-After', String(Math.max(1, Math.ceil(error.retryAfter / 1000))));
    response.status(HttpStatus.SERVICE_UNAVAILABLE).json({ statusCode: HttpStatus.SERVICE_UNAVAILABLE, message: `${error.breakerName} is unavailable` });
  }
}
