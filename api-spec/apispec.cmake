# apispec.cmake - generates the API documents from Kubernetes' swagger.json
# (api-spec/build.py) and embeds them in the ckube_apispec library
# (apispec.h). Regenerated when the generators, our yaml additions or the
# schema change. Uses Debian's /usr/bin/python3, which has python3-yaml and
# python3-protobuf (a pyenv python3 earlier on PATH may not).
set(APISPEC_OUT ${CMAKE_BINARY_DIR}/api-spec)
set(APISPEC_PYTHON /usr/bin/python3)
if(NOT EXISTS ${APISPEC_PYTHON})
  set(APISPEC_PYTHON ${Python3_EXECUTABLE})
endif()
file(GLOB APISPEC_INPUTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/api-spec/*.py ${CMAKE_SOURCE_DIR}/api-spec/*.yaml)
add_custom_command(
  OUTPUT ${APISPEC_OUT}/apispec_data.c
  COMMAND ${APISPEC_PYTHON} ${CMAKE_SOURCE_DIR}/api-spec/build.py
          --swagger ${K8S_API_DIR}/swagger.json --proto ${K8S_API_DIR}/OpenAPIv2.proto --out ${APISPEC_OUT}
          --rbac ${K8S_RBAC_DIR}
  DEPENDS ${APISPEC_INPUTS} ${K8S_API_DIR}/swagger.json ${K8S_RBAC_DIR}/cluster-roles.yaml ${K8S_API_DIR}/OpenAPIv2.proto
  COMMENT "Deriving API documents from Kubernetes' swagger.json"
  VERBATIM)
add_library(ckube_apispec STATIC ${APISPEC_OUT}/apispec_data.c)
target_include_directories(ckube_apispec PUBLIC ${CMAKE_SOURCE_DIR}/api-spec)

# The built-in kinds' Table column lists (api-spec/table_columns.py) from
# kube-apiserver's printers.go and kube-aggregator's APIService storage, the
# swagger.json descriptions they quote and the API packages' SwaggerDoc texts:
# C arrays of server/views' struct table_col,
# so server/views compiles them (CMakeLists.txt), not ckube_apispec.
set(APISPEC_TABLE_COLUMNS ${APISPEC_OUT}/table_columns.c)
add_custom_command(
  OUTPUT ${APISPEC_OUT}/table_columns.c ${APISPEC_OUT}/table_columns.h
  COMMAND ${APISPEC_PYTHON} ${CMAKE_SOURCE_DIR}/api-spec/table_columns.py --printers ${K8S_API_DIR}/printers.go
          --aggregator ${K8S_API_DIR}/apiservice_etcd.go --swagger ${K8S_API_DIR}/swagger.json --go-api ${K8S_API_DIR}/proto --out ${APISPEC_OUT}
  DEPENDS ${CMAKE_SOURCE_DIR}/api-spec/table_columns.py ${K8S_API_DIR}/printers.go ${K8S_API_DIR}/apiservice_etcd.go
          ${K8S_API_DIR}/swagger.json
  COMMENT "Table columns from Kubernetes' printers.go"
  VERBATIM)
