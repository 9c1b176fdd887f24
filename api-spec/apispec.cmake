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
