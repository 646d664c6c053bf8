/** The API's address is taken: the one start-up failure an operator fixes with a setting. */
export class PortInUseError extends Error {
  readonly code = 'PORT_IN_USE';

  constructor(host: string, port: number) {
    super(`port ${port} on ${host} is already in use: choose another with PORT or --port (0 takes any free port)`);
    this.name = 'PortInUseError';
  }
}
