/* token_cli.h - `ckube-server token create|list|delete`, kubeadm token's
 * counterpart: bootstrap-token Secrets made through the running server's API
 * with the data directory's admin kubeconfig. */
#ifndef CKUBE_TOKEN_CLI_H
#define CKUBE_TOKEN_CLI_H

/* argv[0] is "token"; default_dir is the server's default --data-dir.
 * Returns the process exit status. */
int token_main(int argc, char **argv, const char *default_dir);

#endif
