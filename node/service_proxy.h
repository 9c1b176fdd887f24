/* service_proxy.h - the node agent's kube-proxy: watches Services and
 * Endpoints and forwards TCP and UDP from every ClusterIP:port, NodePort
 * (on 127.0.0.1 and the node's address) and LoadBalancer ingress IP:port
 * to ready endpoints (service_table.h), in one user-space epoll thread.
 * Listeners use SO_REUSEPORT so several agents on one machine share them.
 * It also watches the pods bound to this node and serves their hostPorts
 * (host_ports.h) on listeners of their own. */
#ifndef CKUBE_SERVICE_PROXY_H
#define CKUBE_SERVICE_PROXY_H

typedef struct service_proxy service_proxy;

/* Starts the watches and the proxy thread; node_ip is the node's own
 * address ("127.N.0.1"), node_name its Node's name. NULL (logged) when it
 * cannot start. */
service_proxy *service_proxy_start(const char *kubeconfig, const char *node_ip, const char *node_name);
/* Closes every listener and connection and joins the thread. */
void service_proxy_stop(service_proxy *p);

#endif
