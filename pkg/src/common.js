// What every entry module exports once the wasm is instantiated.
import { DataActionsClient, __setErrorFactory } from '../dist/cxone_data_actions.js';
import { DataActionsError, fromDetails } from './errors.js';

export function register() {
  __setErrorFactory(fromDetails);
}

export { DataActionsClient, DataActionsError };
