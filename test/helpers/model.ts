import { RootConstruct } from 'constructs';
import { SpecError, StackEnvironment, type StackEnvironmentProps } from '../../constructs/index.ts';

/** A compose-only environment named "test", with any settings replaced. */
export function testEnvironment(props: Partial<StackEnvironmentProps> = {}): StackEnvironment {
  return new StackEnvironment(new RootConstruct(), 'test', {
    targets: ['compose'],
    domain: 'localhost',
    doppler: { project: 'voice-agent', config: 'dev' },
    ...props,
  });
}

/** The SpecError `action` throws; fails the test when it throws nothing or another error. */
export function specErrorOf(action: () => unknown): SpecError {
  try {
    action();
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected a SpecError');
}
