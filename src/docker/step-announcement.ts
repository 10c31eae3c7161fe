/**
 * The classic builder's announcement of a build step's container, as one line of a `stream`
 * message. dockerd 20.10 prints the 12-character short ID; longer hex IDs are accepted too.
 * The worker (to limit the step) and the proxy (to allow exactly that) read the same line.
 */
export const STEP_ANNOUNCEMENT = /^ ---> Running in ([0-9a-f]{12,64})$/;
