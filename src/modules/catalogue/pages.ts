// Public catalogue pages (placeholder; being written).
import type { FastifyInstance } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { CatalogueService } from './service.js';
export function cataloguePages(_app: FastifyInstance, _k: Kernel, _c: CatalogueService) {}
