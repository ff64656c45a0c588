/** Calls one batched tRPC request may hold: the server refuses a bigger batch, the browser never builds one. */
export const MAX_BATCH_SIZE = 10;
