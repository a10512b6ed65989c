export { JOBS, type JobData, type JobName, QUEUE_NAMES, type QueueName, RETENTION } from './catalog.ts';
export { createRedis, type EnqueueOptions, Queues, type RedisConnection, redisKeyPrefix } from './queues.ts';
