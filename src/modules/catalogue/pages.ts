// Public catalogue pages (placeholder; being written).
import type { FastifyInstance } from 'fastify';
import type { Kernel } from '../../kernel/module.js';
import type { CatalogueService } from './service.js';
import type { Service } from './schema.js';

/** A panel another module adds to every service page (live performance, experiments…). */
export type ServicePanel = (service: Service, lang: 'en' | 'cy') => Promise<{ title: string; html: string } | null>;

export function cataloguePages(_app: FastifyInstance, _k: Kernel, _c: CatalogueService, _panels: ServicePanel[]) {}
