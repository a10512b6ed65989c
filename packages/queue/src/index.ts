export { JOBS, type JobData, type JobName, QUEUE_NAMES, type QueueName, RETENTION } from './catalog.ts';
export {
  createRedis,
  type EnqueueOptions,
  Queues,
  type RedisConnection,
  type RedisRole,
  redisKeyPrefix,
} from './queues.ts';
export { SendThrottle, type ThrottleLimits } from './throttle.ts';
