/** A private Redis for a test (127.0.0.1, a free port, no persistence) and `adequate worker` processes on it: the
 *  same helpers the queue benchmark uses. */
export { freePort, startRedis, startWorker, stopProcess, type TestRedis, type TestWorker } from '../../bench/local-queue.js';
