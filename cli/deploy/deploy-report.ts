import { CliError } from '../cli-error.ts';
import { formatTable } from '../report-table.ts';
import type { DeployReport, DeployServiceReport } from './deploy-types.ts';
import type { ServiceRun } from './deploy-service.ts';

// The report: a table (or JSON) on stdout, and the exit code for a failed run.

/** Prints the report; throws for a failed run so the CLI exits with its code. */
export function finish(report: DeployReport, json: boolean, stdout: (text: string) => void): DeployReport {
  if (json) {
    stdout(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    stdout(
      formatTable(
        ['service', 'result', 'deployment', 'duration'],
        report.services.map((service) => [
          service.service,
          service.result,
          [service.deploymentId, service.rollback?.deploymentId].filter((id) => id !== null && id !== undefined).join(' → ') || '-',
          service.durationSeconds === null ? '-' : `${service.durationSeconds} s`,
        ]),
      ),
    );
    for (const service of report.services) {
      if (service.detail !== '') stdout(`${service.service}: ${service.detail}\n`);
      if (service.rollback !== undefined) stdout(`${service.service}: rollback ${service.rollback.ok ? 'done' : 'FAILED'}: ${service.rollback.detail}\n`);
    }
    stdout(`${report.message}\n`);
  }
  if (!report.ok) throw new CliError(report.message, report.exitCode);
  return report;
}

export function toReport(run: ServiceRun): DeployServiceReport {
  return {
    service: run.name,
    result: run.result,
    deploymentId: run.deploymentId ?? null,
    durationSeconds: run.durationMs === undefined ? null : Math.round(run.durationMs / 100) / 10,
    detail: run.detail,
    ...(run.rollback !== undefined ? { rollback: run.rollback } : {}),
  };
}
