/** The error code of a job Reelay stopped waiting for (`poll.give_up_after_s`): failed to the client, still reserved in its budget. */
export const GIVE_UP_CODE = 'upstream_timeout';
