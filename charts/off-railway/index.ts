export { offRailwayComposePath, offRailwayServices } from './off-railway-compose.ts';
export { offRailwayHost } from '../railway-placement.ts';
